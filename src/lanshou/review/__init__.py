"""Review (审单): accept or hold each paid order by built-in checks and the merchant's rules, merge (合单) and
split, and hand accepted orders to shipping as ready shipments."""

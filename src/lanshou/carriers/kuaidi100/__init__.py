"""Kuaidi100 (快递100): state codes, request builders + signing, response parsers, push handling."""

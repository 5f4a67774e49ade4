"""Service levels: the at-risk queue (orders that may miss a pickup or ship deadline) and parcel alerts
(物流预警)."""

"""SLA watch: the at-risk queue (orders not yet picked up) and parcel alerts (物流预警)."""

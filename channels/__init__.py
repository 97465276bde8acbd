"""Input channels: the REST channel clinics and the web page talk to."""

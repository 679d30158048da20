"""The public page (công khai): a read-only web server showing each campaign's figures."""

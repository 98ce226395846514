def start_watching(site_ids):
    """Record what these sites' regulator records hold now, so that only what they gain after
    the watch began is announced."""

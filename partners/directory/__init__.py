"""What the directory and provider profile pages read from the catalogue.

- `entries`: the directory's list entries, one summary card per provider of a page.
- `facets`: facet counts beside the directory's filters.
- `facet_index`: the in-process index of which site offers which filter option.
- `profile`: the provider profile, one `SiteProfile` per site.
- `timeline`: the geometry of a site's regulatory timeline on the profile.
"""

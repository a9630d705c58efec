"""Clients of open-data portals (CKAN's action API): read a holder's datasets, publish a package."""

"""Pipeline: pipelines and their stages, opportunities (deals) and their moves, lost reasons, the board."""

"""Run by the OFFICIAL client's interpreter: format entities and build paths.

Arguments: AssetVersion id, FileComponent id, Asset id. Prints a JSON report.
"""
import json
import sys

import ftrack_api
import ftrack_api.formatter as formatter
from ftrack_api.structure.id import IdStructure

session = ftrack_api.Session()
version_id, component_id, asset_id = sys.argv[1:4]
version = session.get("AssetVersion", version_id)
asset = session.get("Asset", asset_id)
component = session.get("FileComponent", component_id)
print(json.dumps({
    "version": formatter.format(version, attribute_filter=formatter.FILTER["ignore_unset"]),
    "asset_recursive": formatter.format(asset, recursive=True),
    "asset": formatter.format(asset),
    "id_structure": IdStructure().get_resource_identifier(component),
}))

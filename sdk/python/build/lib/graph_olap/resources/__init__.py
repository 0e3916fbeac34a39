"""Resource managers hung off :class:`graph_olap.GraphOLAPClient`.

Example:
    >>> from graph_olap.resources import MappingResource, OpsResource
    >>> MappingResource.__name__
    'MappingResource'
"""

from graph_olap.resources.admin import AdminResource
from graph_olap.resources.favorites import FavoriteResource
from graph_olap.resources.health import HealthResource
from graph_olap.resources.instances import InstanceResource
from graph_olap.resources.mappings import MappingResource
from graph_olap.resources.ops import OpsResource
from graph_olap.resources.schema import SchemaResource
from graph_olap.resources.snapshots import SnapshotResource
from graph_olap.resources.users import UserResource

__all__ = [
    "AdminResource",
    "FavoriteResource",
    "HealthResource",
    "InstanceResource",
    "MappingResource",
    "OpsResource",
    "SchemaResource",
    "SnapshotResource",
    "UserResource",
]

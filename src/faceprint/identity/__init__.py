"""Person-level work over descriptors: clustering a database into people, near-duplicate and
same-person-under-different-keys pairs, verification against every feature of a key, and grouping of search
hits by key.

Pure numerics: this package knows cosine similarities of unit descriptors (-1..1) and nothing of HTTP,
storage or score calibration; the service maps scores to cosines and back with the database's score map.
"""

from faceprint.identity.cluster import Clustering, cluster
from faceprint.identity.duplicates import DuplicatePair, find_duplicates
from faceprint.identity.metrics import pairwise_precision_recall
from faceprint.identity.neighbours import Edges, neighbour_edges
from faceprint.identity.people import KeyGroup, KeyMatch, group_by_key, match_key

__all__ = [
    "Clustering",
    "DuplicatePair",
    "Edges",
    "KeyGroup",
    "KeyMatch",
    "cluster",
    "find_duplicates",
    "group_by_key",
    "match_key",
    "neighbour_edges",
    "pairwise_precision_recall",
]

"""Faceprint's domain errors, each with a stable code.

Every error Faceprint raises on purpose is a :class:`FaceprintError`. It carries

* ``code``: a gRPC canonical status code (3 INVALID_ARGUMENT, 5 NOT_FOUND, 7 PERMISSION_DENIED,
  8 RESOURCE_EXHAUSTED, 9 FAILED_PRECONDITION, 13 INTERNAL, 14 UNAVAILABLE), as Mercury Cloud uses;
* ``internal_code``: Faceprint's own number for the distinct cause (the table below). It never changes
  meaning once published; new causes get new numbers;
* ``message``: a human sentence.

Nothing here knows HTTP: the service maps these codes to HTTP statuses and bodies in exactly one place
(``faceprint.api.errors``), and the SDK reads its answers back (``faceprint.client._errors``).

Tree::

    FaceprintError
    ├── InvalidArgument (code 3)
    │   ├── InvalidRequest        1000  malformed JSON / missing or ill-typed field
    │   ├── BadBase64             1101
    │   ├── UnsupportedFormat     1102
    │   ├── ImageTooLarge         1103  encoded file over 8 MB
    │   ├── CorruptImage          1104  truncated or undecodable
    │   ├── ImageTooManyPixels    1105  decompression bomb / over the pixel bound
    │   ├── TooManyImages         1106  more than 16 images
    │   ├── NoImages              1107
    │   ├── BadRectangle          1108
    │   ├── BodyTooLarge          1109  request body over the limit
    │   ├── ImageTooSmall         1110  image smaller than a detectable face
    │   ├── NoFace                1201  no face detected
    │   ├── BadKey                1301  key not [A-Za-z0-9-]{1,48}
    │   ├── ExtraInfoTooLong      1302  over 1024 characters
    │   ├── BadMaxSize            1303
    │   ├── BadTopK               1304
    │   ├── BadMinScore           1305
    │   ├── BadName               1306  database name / description
    │   ├── BadDbIds              1307  empty or too many db_ids in a search
    │   ├── BadFeatureId          1308
    │   ├── BadFeatureVersion     1309  no recogniser pack with that feature_version / name
    │   ├── BadPage               1310  list features: offset < 0 or limit not 1..1000
    │   └── BadThreshold          1311  a clustering / duplicates / verify threshold outside 0..1
    ├── NotFound (code 5)
    │   ├── AppNotFound           2001
    │   ├── DatabaseNotFound      2002
    │   ├── FeatureNotFound       2003
    │   ├── AccessKeyNotFound     2004
    │   ├── RouteNotFound         2005  no such path under /openapi/
    │   ├── KeyNotFound           2007  no feature of the database has this key
    │   └── JobNotFound           2008  no such job of this app (or it expired)
    ├── PermissionDenied (code 7)
    │   └── WrongApp              4001  a valid signature on another app's path
    ├── ResourceExhausted (code 8)
    │   ├── DatabaseFull          3001  max_size reached
    │   ├── QuotaExceeded         3002  the app's feature-id quota
    │   ├── TooManyKeys           3003  more active access keys than allowed
    │   ├── AppBusy               3004  the app has its share of the engine in use (429, Retry-After)
    │   └── TooManyJobs           3005  the app already runs its limit of background jobs
    ├── FailedPrecondition (code 9)
    │   ├── ModelVersionMismatch  4101  stored descriptors were made by another model
    │   └── StoreLocked           4102  another process owns the embedded store
    ├── Unimplemented (code 12)
    │   └── MethodNotAllowed      2006  the path exists, the method does not (HTTP 405)
    ├── DeadlineExceeded (code 4)
    │   └── RequestDeadline       5102  the request passed its deadline (HTTP 504)
    ├── Internal (code 13)
    │   ├── InternalError         5000
    │   └── ModelMissing          5001  a model file is missing or corrupt
    └── Unavailable (code 14)
        └── Overloaded            5101
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AccessKeyNotFound",
    "AppBusy",
    "AppNotFound",
    "BadBase64",
    "BadDbIds",
    "BadFeatureId",
    "BadKey",
    "BadMaxSize",
    "BadMinScore",
    "BadName",
    "BadRectangle",
    "BadThreshold",
    "BadTopK",
    "BodyTooLarge",
    "CorruptImage",
    "DatabaseFull",
    "DatabaseNotFound",
    "DeadlineExceeded",
    "ExtraInfoTooLong",
    "FaceprintError",
    "FailedPrecondition",
    "FeatureNotFound",
    "ImageTooLarge",
    "ImageTooManyPixels",
    "ImageTooSmall",
    "Internal",
    "InternalError",
    "InvalidArgument",
    "InvalidRequest",
    "JobNotFound",
    "KeyNotFound",
    "MethodNotAllowed",
    "ModelMissing",
    "ModelVersionMismatch",
    "NoFace",
    "NoImages",
    "NotFound",
    "Overloaded",
    "PermissionDenied",
    "QuotaExceeded",
    "RequestDeadline",
    "ResourceExhausted",
    "RouteNotFound",
    "StoreLocked",
    "TooManyImages",
    "TooManyJobs",
    "TooManyKeys",
    "Unavailable",
    "Unimplemented",
    "UnsupportedFormat",
    "WrongApp",
    "all_error_types",
]

class FaceprintError(Exception):
    """Base of every deliberate Faceprint error."""

    code: ClassVar[int] = 2
    internal_code: ClassVar[int] = 0
    default_message: ClassVar[str] = "Unknown error."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)

    def to_status(self) -> dict[str, object]:
        """The per-item status object ``{code, message, internal_code}`` of batch answers."""
        return {"code": self.code, "message": self.message, "internal_code": self.internal_code}


class InvalidArgument(FaceprintError):
    code = 3
    default_message = "Invalid argument."


class NotFound(FaceprintError):
    code = 5
    default_message = "Not found."


class PermissionDenied(FaceprintError):
    code = 7
    default_message = "Permission denied."


class ResourceExhausted(FaceprintError):
    code = 8
    default_message = "Resource exhausted."


class FailedPrecondition(FaceprintError):
    code = 9
    default_message = "Failed precondition."


class Internal(FaceprintError):
    code = 13
    default_message = "Internal error."


class Unavailable(FaceprintError):
    code = 14
    default_message = "Service unavailable."


class Unimplemented(FaceprintError):
    code = 12
    default_message = "Not implemented."


class DeadlineExceeded(FaceprintError):
    code = 4
    default_message = "Deadline exceeded."


class InvalidRequest(InvalidArgument):
    internal_code = 1000
    default_message = "The request is malformed."


class BadBase64(InvalidArgument):
    internal_code = 1101
    default_message = "The image data is not valid base64."


class UnsupportedFormat(InvalidArgument):
    internal_code = 1102
    default_message = "Unsupported image format: use JPG, PNG, BMP, TIFF, GIF or WebP."


class ImageTooLarge(InvalidArgument):
    internal_code = 1103
    default_message = "The image file is larger than 8 MB."


class CorruptImage(InvalidArgument):
    internal_code = 1104
    default_message = "The image is corrupt or truncated."


class ImageTooManyPixels(InvalidArgument):
    internal_code = 1105
    default_message = "The image has too many pixels (possible decompression bomb)."


class TooManyImages(InvalidArgument):
    internal_code = 1106
    default_message = "At most 16 images per request."


class NoImages(InvalidArgument):
    internal_code = 1107
    default_message = "At least one image is required."


class BadRectangle(InvalidArgument):
    internal_code = 1108
    default_message = "The rectangle is invalid or outside the image."


class BodyTooLarge(InvalidArgument):
    internal_code = 1109
    default_message = "The request body is too large."


class ImageTooSmall(InvalidArgument):
    internal_code = 1110
    default_message = "The image is smaller than the smallest detectable face (32x32)."


class NoFace(InvalidArgument):
    internal_code = 1201
    default_message = "No face detected."


class BadPage(InvalidArgument):
    internal_code = 1310
    default_message = "offset must be 0 or more and limit 1 to 1000."


class BadKey(InvalidArgument):
    internal_code = 1301
    default_message = "The key must be 1 to 48 characters of A-Z, a-z, 0-9 and '-'."


class ExtraInfoTooLong(InvalidArgument):
    internal_code = 1302
    default_message = "extra_info is longer than 1024 characters."


class BadMaxSize(InvalidArgument):
    internal_code = 1303
    default_message = "max_size must be a positive integer."


class BadFeatureVersion(InvalidArgument):
    internal_code = 1309
    default_message = "Unknown feature_version: this server has no such recogniser pack."


class BadTopK(InvalidArgument):
    internal_code = 1304
    default_message = "top_k is out of range."


class BadMinScore(InvalidArgument):
    internal_code = 1305
    default_message = "min_score must be between 0 and 1."


class BadName(InvalidArgument):
    internal_code = 1306
    default_message = "The database name or description is invalid."


class BadDbIds(InvalidArgument):
    internal_code = 1307
    default_message = "db_ids must list 1 or more databases."


class BadFeatureId(InvalidArgument):
    internal_code = 1308
    default_message = "The feature_id is malformed."


class BadThreshold(InvalidArgument):
    internal_code = 1311
    default_message = "threshold must be a score between 0 and 1."


class AppNotFound(NotFound):
    internal_code = 2001
    default_message = "App not found."


class DatabaseNotFound(NotFound):
    internal_code = 2002
    default_message = "Feature database not found."


class FeatureNotFound(NotFound):
    internal_code = 2003
    default_message = "Feature not found."


class AccessKeyNotFound(NotFound):
    internal_code = 2004
    default_message = "Access key not found."


class RouteNotFound(NotFound):
    internal_code = 2005
    default_message = "No such API path or method."


class MethodNotAllowed(Unimplemented):
    internal_code = 2006
    default_message = "This path does not take that method."


class KeyNotFound(NotFound):
    internal_code = 2007
    default_message = "No feature of the database has this key."


class JobNotFound(NotFound):
    internal_code = 2008
    default_message = "Job not found (it never existed, belongs to another app, or its result expired)."


class WrongApp(PermissionDenied):
    internal_code = 4001
    default_message = "This access key does not belong to the app in the path."


class DatabaseFull(ResourceExhausted):
    internal_code = 3001
    default_message = "The feature database is full (max_size reached)."


class QuotaExceeded(ResourceExhausted):
    internal_code = 3002
    default_message = "The app's feature-id quota is exceeded."


class TooManyKeys(ResourceExhausted):
    internal_code = 3003
    default_message = "The app already has the maximum number of active access keys."


class AppBusy(ResourceExhausted):
    internal_code = 3004
    default_message = "This app has its share of the face engine in use; retry later."

    def __init__(self, message: str | None = None, retry_after: int = 1) -> None:
        super().__init__(message)
        #: Seconds after which a retry is likely to be let in (the Retry-After header).
        self.retry_after = max(1, int(retry_after))
class TooManyJobs(ResourceExhausted):
    internal_code = 3005
    default_message = "The app already runs as many background jobs as allowed; wait for one to finish."


class ModelVersionMismatch(FailedPrecondition):
    internal_code = 4101
    default_message = "The database holds descriptors of another model version."


class StoreLocked(FailedPrecondition):
    internal_code = 4102
    default_message = "The store is already opened by another process."


class InternalError(Internal):
    internal_code = 5000
    default_message = "Internal error."


class ModelMissing(Internal):
    internal_code = 5001
    default_message = "A model file is missing or corrupt: run `faceprint models pull`."


class Overloaded(Unavailable):
    internal_code = 5101
    default_message = "The service is overloaded; retry later."


class RequestDeadline(DeadlineExceeded):
    internal_code = 5102
    default_message = "The request passed its deadline before the face engine finished it."


def all_error_types() -> list[type[FaceprintError]]:
    """Every concrete error type with an internal code (for docs and the uniqueness test)."""
    out: list[type[FaceprintError]] = []
    stack: list[type[FaceprintError]] = [FaceprintError]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        # only this module's table: others (the SDK's typed API errors) subclass these types
        if cls.internal_code and cls.__module__ == __name__:
            out.append(cls)
    return sorted(out, key=lambda c: c.internal_code)

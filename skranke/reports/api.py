"""The report's JSON API: `GET /api/v1/reports`, the same object as `skranke report` prints, for
staff who may read statistics, limited to their centres."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Query, Router, Status

from skranke.access.auth import STAFF
from skranke.access.permissions import Capability, allowed_location_ids, check_capability
from skranke.reports.query import LocationNotAllowed, ReportQueryRefused, parse_report_query
from skranke.reports.report import build_report
from skranke.reports.schemas import (
    ErrorOut,
    ReportInputErrorOut,
    ReportOut,
    ReportParameters,
    ReportRefusalOut,
)

router = Router(tags=["statistics"])


@router.get(
    "",
    auth=STAFF,
    response={
        200: ReportOut,
        401: ErrorOut,
        403: ErrorOut,
        422: ReportRefusalOut | ReportInputErrorOut,
    },
    # The report's keys "from" and "to" are aliases (Python cannot name a field "from").
    by_alias=True,
    summary="The statistics of a centre, or of all the caller's centres, for a period",
    description=(
        "The same object as `skranke report --format json` prints. Needs `view_statistics`; a "
        "centre outside the caller's answers 403, and `all` means every active centre the "
        "caller may see. A missing parameter answers 422 with a list of problems; a wrong one "
        "(an unknown centre, a malformed date, `to` before `from`, a period over the limit, a "
        "goal outside the range) 422 with one `detail` and a stable `code`."
    ),
)
def report(
    request: HttpRequest, parameters: Query[ReportParameters]
) -> HttpResponse | Status[ReportRefusalOut]:
    check_capability(request, Capability.VIEW_STATISTICS)
    try:
        query = parse_report_query(
            parameters.location,
            parameters.date_from,
            parameters.date_to,
            parameters.goal_minutes,
            allowed_location_ids=allowed_location_ids(request.user),
        )
    except LocationNotAllowed as refused:
        raise PermissionDenied(refused.message) from None
    except ReportQueryRefused as refused:
        return Status(422, ReportRefusalOut(detail=refused.message, code=refused.code))
    # The engine's object as it is, byte for byte what the CLI prints (apart from indentation):
    # ReportOut documents it, and a test holds the two together, but passing it through the
    # schema here could drop or convert a figure.
    return JsonResponse(build_report(query), json_dumps_params={"ensure_ascii": False})

"""The upload handlers, by batch kind: the one place that knows them all. imports.pipeline looks a handler up
here; the handlers import only imports.plan, never the pipeline, so no module imports back."""

from .bundles import BundleHandler, WorkbookHandler
from .choices import BatchKind
from .inquiry.handler import InquiryHandler

HANDLERS = {
    BatchKind.BUNDLE: BundleHandler,
    BatchKind.WORKBOOK: WorkbookHandler,
    BatchKind.INQUIRY: InquiryHandler,
}

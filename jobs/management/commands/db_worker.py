"""django-tasks' database worker, with the PDF renderer loaded before the first job.

Importing WeasyPrint costs about 1.2 s (cffi parses its C declarations and looks up Pango, HarfBuzz and
fontconfig); the web processes never render a PDF (they queue it), so only the worker loads it, once,
at start, instead of inside the first PDF job a user waits for."""

from django_tasks.backends.database.management.commands.db_worker import Command as WorkerCommand


class Command(WorkerCommand):
    def handle(self, *args, **options):
        import weasyprint  # noqa: F401 - loaded for its side effect: the first job does not pay for it

        return super().handle(*args, **options)

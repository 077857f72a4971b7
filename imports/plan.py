"""What a handler's run found and would change (the preview), in its own module so that the pipeline and the
handlers it runs (imports.handlers) each import it without importing each other."""

import hashlib
import json
from dataclasses import dataclass, field


@dataclass
class Plan:
    summary: dict[str, dict[str, int]] = field(default_factory=dict)  # label -> created/updated/unchanged/deleted
    changes: list[list[str]] = field(default_factory=list)  # [label, key, field, old, new]
    problems: list[list[str]] = field(default_factory=list)  # [place, field, message]
    warnings: list[list[str]] = field(default_factory=list)  # [place, field, message]
    notices: list[str] = field(default_factory=list)

    def digest(self) -> str:
        payload = json.dumps([self.summary, self.changes], ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()

    @property
    def changed(self) -> bool:
        return any(s.get("created") or s.get("updated") or s.get("deleted") for s in self.summary.values())

"""SAM / CloudFormation templates in and out (issue 7).

- `import_template(path_or_text, *, name=None) -> ImportResult` — read a SAM or plain
  CloudFormation template (YAML with short tags, or JSON) into a scenario, with a report
  of what was mapped, skipped and assumed.
- `export_template(scenario) -> str` / `export_file(scenario, path)` — write a SAM
  template for a design; importing it gives the same design back.
- `TemplateError` (a ValueError) names the file, resource and line of what cannot be read.
"""

from core.templates.common import TemplateError
from core.templates.exporter import export_file, export_template
from core.templates.importer import ImportResult, import_template

__all__ = ["ImportResult", "TemplateError", "export_file", "export_template", "import_template"]

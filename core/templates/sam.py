"""Expanding SAM templates with AWS's own translator (`aws-sam-translator`), offline.

The translator runs with an empty managed-policy map, no feature toggles and a stub
session in us-east-1 (partition aws), so it never touches the network. Local code paths
(`CodeUri: src/`) and local OpenAPI files are swapped for placeholder S3 locations, as
`sam validate` and cfn-lint do; they play no part in the flow. Nested applications are
turned into plain nested stacks, which the importer lists as skipped.
"""

from __future__ import annotations

import copy
import functools
import logging
import re
from typing import Any

from core.templates.common import REGION, SAM_TRANSFORM, TemplateError

_PLACEHOLDER_S3 = "s3://triggerscope-placeholder/code.zip"
_PLACEHOLDER_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/placeholder:latest"
_PLACEHOLDER_STACK = "https://s3.amazonaws.com/triggerscope-placeholder/nested.yaml"


class _Session:
    """Just enough of a boto3 session for the translator: a region, nothing else."""

    region_name = REGION


def transforms(template: dict) -> list[str]:
    t = template.get("Transform")
    if t is None:
        return []
    items = t if isinstance(t, list) else [t]
    out = []
    for x in items:
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, dict) and isinstance(x.get("Name"), str):
            out.append(x["Name"])
    return out


def is_sam(template: dict) -> bool:
    return SAM_TRANSFORM in transforms(template)


def _is_s3_uri(v: Any) -> bool:
    return isinstance(v, str) and v.startswith("s3://")


def _prepare(template: dict) -> tuple[dict, dict[str, str]]:
    """A copy the translator accepts offline, and {logical id: note} for what was swapped."""
    t = copy.deepcopy(template)
    notes: dict[str, str] = {}
    glob = t.get("Globals") if isinstance(t.get("Globals"), dict) else {}
    gfn = glob.get("Function") if isinstance(glob.get("Function"), dict) else {}
    if "CodeUri" in gfn and not _is_s3_uri(gfn["CodeUri"]) and not isinstance(gfn["CodeUri"], dict):
        gfn["CodeUri"] = _PLACEHOLDER_S3
    if isinstance(gfn.get("AutoPublishCodeSha256"), dict):
        gfn["AutoPublishCodeSha256"] = "placeholder"
    for key in ("Api", "HttpApi"):
        g = glob.get(key) if isinstance(glob.get(key), dict) else {}
        if isinstance(g.get("DefinitionUri"), str) and not _is_s3_uri(g["DefinitionUri"]):
            g["DefinitionUri"] = _PLACEHOLDER_S3
    for lid, r in (t.get("Resources") or {}).items():
        if not isinstance(r, dict):
            continue
        rtype = r.get("Type")
        props = r.get("Properties")
        if rtype == "AWS::Serverless::Application":
            r["Type"] = "AWS::CloudFormation::Stack"
            r["Properties"] = {"TemplateURL": _PLACEHOLDER_STACK}
            notes[lid] = "nested SAM application"
            continue
        if not isinstance(props, dict):
            if rtype == "AWS::Serverless::Function":
                props = r["Properties"] = {}
            else:
                continue
        if rtype == "AWS::Serverless::Function":
            if props.get("PackageType") == "Image" or "ImageUri" in props:
                if not isinstance(props.get("ImageUri"), str):
                    props["ImageUri"] = _PLACEHOLDER_IMAGE
            elif "InlineCode" not in props:
                cu = props.get("CodeUri", gfn.get("CodeUri"))
                if not (_is_s3_uri(cu) or (isinstance(cu, dict) and "Bucket" in cu and "Key" in cu)):
                    props["CodeUri"] = _PLACEHOLDER_S3
            if isinstance(props.get("AutoPublishCodeSha256"), dict):
                props["AutoPublishCodeSha256"] = "placeholder"
        elif rtype == "AWS::Serverless::LayerVersion":
            if not _is_s3_uri(props.get("ContentUri")):
                props["ContentUri"] = _PLACEHOLDER_S3
        elif rtype in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi", "AWS::Serverless::StateMachine"):
            if isinstance(props.get("DefinitionUri"), str | dict) and not _is_s3_uri(props.get("DefinitionUri")):
                if "DefinitionBody" not in props:
                    props["DefinitionUri"] = _PLACEHOLDER_S3
                    notes[lid] = "definition read from a separate file (not imported)"
        elif rtype == "AWS::Serverless::GraphQLApi":
            for key in ("SchemaUri",):
                if key in props and not _is_s3_uri(props[key]):
                    props[key] = _PLACEHOLDER_S3
    return t, notes


def _reuse_policy_template_plugin() -> None:
    """Build SAM's policy-template plugin once, not per translation.

    The translator validates its 80-odd policy templates against a JSON schema every time
    it builds the plugin (about 40 % of a small template's translation). The plugin holds
    no per-template state, so one instance serves every translation in the process.
    """
    import samtranslator.translator.translator as tmod

    make = tmod.make_policy_template_for_function_plugin
    if getattr(make, "_triggerscope_once", False):
        return
    once = functools.cache(make)
    once._triggerscope_once = True  # type: ignore[attr-defined]
    tmod.make_policy_template_for_function_plugin = once


def expand(template: dict, source: str, lines: dict[str, int]) -> tuple[dict, dict[str, str]]:
    """The CloudFormation that SAM would deploy, and notes on placeholders swapped in."""
    from samtranslator.model.exceptions import InvalidDocumentException, InvalidTemplateException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.arn_generator import ArnGenerator
    from samtranslator.translator.translator import Translator

    logging.getLogger("samtranslator").setLevel(logging.CRITICAL)
    _reuse_policy_template_plugin()
    prepared, notes = _prepare(template)
    ArnGenerator.BOTO_SESSION_REGION_NAME = REGION

    def translate(doc: dict) -> dict:
        translator = Translator({}, Parser(), boto_session=_Session())
        return translator.translate(copy.deepcopy(doc), parameter_values={}, feature_toggle=None,
                                    passthrough_metadata=True)

    try:
        try:
            out = translate(prepared)
        except InvalidDocumentException as e:
            causes = [c.message for c in getattr(e, "causes", [])] or [str(e)]
            # IAM policies play no part in the flow: when they are all SAM objects to, drop them
            if not all("'Policies' property" in c for c in causes):
                raise
            ids = set(re.findall(r"\[([A-Za-z0-9]+)\]", " ".join(causes)))
            for lid, r in (prepared.get("Resources") or {}).items():
                if isinstance(r, dict) and lid in ids and isinstance(r.get("Properties"), dict):
                    r["Properties"].pop("Policies", None)
                    notes[lid] = f"SAM rejected its Policies, which were ignored ({_strip(causes, lid)})"
            out = translate(prepared)
    except InvalidDocumentException as e:
        causes = [c.message for c in getattr(e, "causes", [])] or [str(e)]
        raise _error(causes, source, lines) from None
    except InvalidTemplateException as e:
        raise _error([e.message], source, lines) from None
    except Exception as e:  # the translator's own bugs on odd input
        raise TemplateError(f"SAM translation failed: {type(e).__name__}: {e}", source=source) from None
    return out, notes


def _strip(causes: list[str], lid: str) -> str:
    for c in causes:
        if f"[{lid}]" in c:
            return c.replace(f"Resource with id [{lid}] is invalid. ", "")
    return causes[0]


def _error(causes: list[str], source: str, lines: dict[str, int]) -> TemplateError:
    lid = None
    line = None
    for c in causes:
        m = re.search(r"\[([A-Za-z0-9]+)\]", c)
        if not m:
            continue
        # an event's generated id (FnQueueEvent) belongs to the resource whose id it starts with
        owner = max((k for k in lines if m.group(1).startswith(k)), key=len, default=None)
        if owner:
            lid, line = owner, lines[owner]
            break
    text = "; ".join(causes)
    return TemplateError(f"SAM translation failed: {text}", source=source, line=line,
                         logical_id=lid)

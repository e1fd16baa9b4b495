#!/usr/bin/env python3
"""Validates Discern's exported attribution-graph JSON against circuit-tracer's frontend schema.

Usage: validate_graph_json.py GRAPH.json [GRAPH_DIR]

Loads `circuit_tracer/frontend/graph_models.py` from the installed circuit-tracer 0.5.0 (by file,
so only pydantic is needed; Scripts/setup installs both into .venv-dev) and parses the file with its
`Model` (metadata, qParams, nodes, links). Then checks what the frontend relies on beyond the
pydantic types: every link endpoint is a listed node, node ids are unique, every embedding node's
ctx_idx indexes metadata.prompt_tokens, and (with GRAPH_DIR) graph-metadata.json lists the slug.
Prints "ok: N nodes, M links" and exits 0, or prints the problem and exits 1.
"""
import importlib.util
import json
import os
import sys

spec = importlib.util.find_spec("circuit_tracer")
if spec is None or not spec.submodule_search_locations:
    sys.exit("circuit-tracer is not installed (run Scripts/setup)")
path = os.path.join(list(spec.submodule_search_locations)[0], "frontend", "graph_models.py")
mspec = importlib.util.spec_from_file_location("graph_models", path)
gm = importlib.util.module_from_spec(mspec)
mspec.loader.exec_module(gm)

with open(sys.argv[1], encoding="utf-8") as f:
    text = f.read()
try:
    model = gm.Model.model_validate_json(text)
except Exception as e:  # pydantic.ValidationError
    print(f"schema: {e}")
    sys.exit(1)
ids = [n.node_id for n in model.nodes]
problems = []
if len(ids) != len(set(ids)):
    problems.append("duplicate node ids")
known = set(ids)
for link in model.links:
    for end in ("source", "target"):
        if link[end] not in known:
            problems.append(f"link {end} {link[end]} is not a node")
            break
for n in model.nodes:
    if n.feature_type == "embedding" and not 0 <= n.ctx_idx < len(model.metadata.prompt_tokens):
        problems.append(f"embedding node {n.node_id} has ctx_idx {n.ctx_idx} outside the prompt")
if not any(n.feature_type == "logit" for n in model.nodes):
    problems.append("no logit nodes")
if len(sys.argv) > 2:
    with open(os.path.join(sys.argv[2], "graph-metadata.json"), encoding="utf-8") as f:
        index = json.load(f)
    if model.metadata.slug not in [g["slug"] for g in index["graphs"]]:
        problems.append("graph-metadata.json does not list the slug")
if problems:
    print("\n".join(problems[:20]))
    sys.exit(1)
print(f"ok: {len(model.nodes)} nodes, {len(model.links)} links")

"""Host builds of generated models, compiled once per test session."""

from __future__ import annotations

import numpy as np
import pytest

from mcugen.firmware.host import compile_host, run_host
from mcugen.codegen import render_model
from mcugen.model import load_model
from tests.oracle import shared_model


class HostModel:
    def __init__(self, graph, rendered, exe):
        self.graph, self.rendered, self.exe = graph, rendered, exe

    def run(self, inputs: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
        g = self.graph
        return run_host(self.exe, inputs, [g.tensors[i].size for i in g.outputs],
                        [g.tensors[i].dtype for i in g.outputs])


@pytest.fixture(scope="session")
def host_build(tmp_path_factory):
    """host_build(rel_or_graph, kernels, sanitize) -> HostModel, cached per session."""
    cache = {}
    objects = tmp_path_factory.mktemp("host-objects")     # kernel objects, compiled once

    def build(model, kernels="portable", sanitize=False, cmsis_nn=None):
        graph = load_model(shared_model(model)) if isinstance(model, str) else model
        key = (graph.fingerprint(), kernels, sanitize, str(cmsis_nn))
        if key not in cache:
            out = tmp_path_factory.mktemp(f"{graph.name}-{kernels}")
            rendered = render_model(graph, out, kernels=kernels, cmsis_nn=cmsis_nn,
                                    cpu="host")
            cache[key] = HostModel(graph, rendered,
                                   compile_host(rendered, out / "check", sanitize=sanitize,
                                                object_cache=objects))
        return cache[key]
    return build

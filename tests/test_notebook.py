"""The notebooks: committed without outputs, and every cell runs without error or warning."""

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Each notebook and the figures it draws.
NOTEBOOKS = {
    "quickstart.ipynb": ["the sample against its rolling median, the Hampel band and the spikes"],
    "streaming.ipynb": [
        "the raw stream against its streamed medians and quantile band",
        "irregular readings against their streamed five-minute median",
    ],
    "xarray.ipynb": ["a station's raw series against its rolling median, band and Hampel flags"],
}


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_committed_without_outputs(name):
    notebook = json.loads((REPO / "notebooks" / name).read_text(encoding="utf-8"))
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    code_cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code_cells
    for cell in code_cells:
        assert cell["outputs"] == []
        assert cell["execution_count"] is None


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs(monkeypatch, name):
    path = REPO / "notebooks" / name
    # Jupyter's own paths, not the deprecated legacy ones: older jupyter_core versions emit a
    # DeprecationWarning about platformdirs unless this is set, and warnings are errors here.
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    # The kernel imports this checkout of rollmed, whether or not it is installed.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=600,  # a cold numba cache compiles the kernels in the first cell that calls them
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()  # raises CellExecutionError if a cell fails

    images = 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error"
            # A warning in the notebook is something a reader would see: fail on it too. (Other
            # stderr, such as matplotlib's one-time "building the font cache" notice, is fine.)
            if output["output_type"] == "stream" and output["name"] == "stderr":
                assert "Warning" not in output["text"], f"{cell.source}\n{output['text']}"
            images += "image/png" in output.get("data", {})
    assert images == len(NOTEBOOKS[name]), NOTEBOOKS[name]

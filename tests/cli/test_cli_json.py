"""``graphstep run --json``: every object valid against the published schema, and a walk replayed from the stream
alone agrees with the stepper number for number."""

from __future__ import annotations

import json
from importlib.resources import files

import numpy as np
import pytest
from jsonschema import Draft202012Validator
from support import SAMPLES, sample

import graphstep as gs
from graphstep.cli import main
from graphstep.cli.stream import SCHEMA, VALUES_UP_TO

VALIDATOR = Draft202012Validator(json.loads(files("graphstep.cli").joinpath("step_stream.schema.json").read_text()))


def stream(capsys, *args: str) -> tuple[int, list[dict]]:
    code = main(["run", *args, "--json"])
    lines = capsys.readouterr().out.splitlines()
    return code, [json.loads(line) for line in lines]


def valid(objects: list[dict]) -> None:
    for obj in objects:
        errors = sorted(VALIDATOR.iter_errors(obj), key=str)
        assert not errors, f"{obj.get('type')} {obj.get('step', '')}: {errors[0].message}"


@pytest.mark.parametrize("name", ["mlp", "myfunc", "attention", "batchnorm", "nan", "regression"])
def test_every_object_of_a_samples_stream_is_valid_and_the_walk_is_whole(capsys, name):
    code, objects = stream(capsys, str(SAMPLES / f"{name}.py"))
    valid(objects)
    header, steps, summary = objects[0], objects[1:-1], objects[-1]
    assert code == 0 and header["schema"] == SCHEMA and header["computation"] == sample(name).name
    assert [s["step"] for s in steps] == list(range(1, header["steps"] + 1))
    assert summary["done"] and summary["position"] == header["steps"]


def test_replaying_the_stream_gives_the_steppers_every_step_and_gradient(capsys):
    """The stream alone names each step's node, phase and formula as the stepper does, its small arrays are the
    stepper's entries, and the final gradients are the steppers' to the last bit."""
    _, objects = stream(capsys, str(SAMPLES / "mlp.py"))
    walker = gs.Stepper(sample("mlp"))
    for obj in objects[1:-1]:
        step = walker.step()
        assert (obj["node"], obj["phase"], obj["name"], obj["formula"]) == (step.node, step.phase, step.name,
                                                                              step.formula)
        shown = obj["value"] if step.phase == "forward" else obj["grad"]
        assert shown["shape"] == list(np.shape(step.value))
        if "values" in shown:
            np.testing.assert_array_equal(np.array(shown["values"]), step.value)
        else:
            assert shown["norm"] == pytest.approx(float(np.linalg.norm(step.value)), rel=1e-12)
        sent = {c["to"]: c for c in obj["contributions"]}
        for c in step.contributions:
            assert sent[c.name]["formula"] == c.formula and sent[c.name]["grad"]["shape"] == list(c.grad.shape)
    assert walker.done
    for name, summary in objects[-1]["grads"].items():
        grad = walker.grad(name)
        if grad.size <= VALUES_UP_TO:
            np.testing.assert_array_equal(np.array(summary["values"]), grad)
        assert summary["mean"] == pytest.approx(float(grad.mean()), rel=1e-12, abs=1e-300)


def test_a_nan_is_spelt_as_a_json_string_and_the_stop_ends_the_stream_with_exit_1(capsys):
    code, objects = stream(capsys, str(SAMPLES / "nan.py"), "--stop-nonfinite")
    valid(objects)
    summary = objects[-1]
    assert code == 1 and summary["stopped"]["reason"] == "nonfinite" and not summary["done"]
    last = objects[-2]
    assert last["step"] == summary["stopped"]["step"] and last["value"]["nonfinite"] >= 1
    assert "NaN" in json.dumps(last["value"]["values"])


def test_a_breakpoint_stops_the_stream_with_exit_0(capsys):
    code, objects = stream(capsys, str(SAMPLES / "mlp.py"), "--break", "H")
    valid(objects)
    assert code == 0 and objects[-1]["stopped"]["reason"] == "breakpoint" and objects[-1]["stopped"]["node"] == "H"
    assert objects[-2]["name"] == "H"


def test_forward_mode_streams_tangents(capsys):
    code, objects = stream(capsys, str(SAMPLES / "mlp.py"), "--mode", "forward")
    valid(objects)
    assert code == 0 and all("tangent" in s for s in objects[1:-1]) and objects[-1]["tangent"]["shape"] == []


def test_the_files_own_prints_go_to_stderr_and_leave_the_stream_valid(tmp_path, capsys):
    path = tmp_path / "chatty.py"
    path.write_text("import numpy as np\nimport graphstep as gs\n\n\n@gs.computation\ndef f():\n"
                    "    print('hello from the file')\n    x = gs.param(np.ones(3), name='x')\n"
                    "    return (x * x).sum()\n")
    code = main(["run", str(path), "--json"])
    out, err = capsys.readouterr()
    assert code == 0 and "hello from the file" in err
    valid([json.loads(line) for line in out.splitlines()])


def test_options_that_print_more_than_the_walk_are_refused(capsys):
    assert main(["run", str(SAMPLES / "mlp.py"), "--json", "--check", "--explain", "dW1[0,0]"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "--check, --explain cannot go with it" in captured.err


def test_reseed_draws_new_inputs_as_the_tui_does(capsys):
    _, first = stream(capsys, str(SAMPLES / "mlp.py"))
    _, again = stream(capsys, str(SAMPLES / "mlp.py"), "--reseed", "0")
    _, other = stream(capsys, str(SAMPLES / "mlp.py"), "--reseed", "3")
    assert first == again and first[-1]["grads"]["W1"] != other[-1]["grads"]["W1"]

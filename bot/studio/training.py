"""Retraining from the console: one background job at a time, in four steps.

1. validate: every YAML file parsed (syntax errors with file and line), then `rasa data validate`,
   its errors and warnings turned into plain words with the file (and line where Rasa gives one);
   an error stops the job here.
2. train: `rasa train` into <models>/candidates/, the progress read from its output (the pipeline's
   components as they finish, the epochs of the neural ones as tqdm prints them). A candidate
   trained from exactly the same data, domain and config (its fingerprint, kept beside it) is
   reused instead, as `rasa train` itself skips training when nothing changed.
3. evaluate: `rasa test` of the candidate and of the model now serving (cached per model file) on
   the held-out NLU test file and the dialogue test stories.
4. compare (bot.studio.evaluation): per-intent precision/recall/F1 side by side, the confusion
   pairs that changed, the dialogue results.

The processes run with the project's copy of the data as their working directory and this
repository on PYTHONPATH (the custom Kiwi components). Jobs live in memory: a gateway restart
forgets the jobs, not the candidates.
"""
from __future__ import annotations

import codecs
import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import yaml

from bot.db import ROOT
from bot.studio import evaluation

log = logging.getLogger(__name__)

RASA = str(Path(sys.executable).parent / "rasa")
RASA_TEST = [sys.executable, "-m", "bot.rasa_cli", "test"]  # Rasa's, loading the model faster (bot.rasa_runtime)
NLU_TEST = Path("tests") / "nlu" / "test_nlu.yml"
STORY_TEST = Path("tests") / "dialogue" / "test_stories.yml"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Where each step's progress bar starts and ends (percent).
SPAN = {"validating": (0, 5), "training": (5, 80), "evaluating": (80, 100)}


class Busy(Exception):
    pass


@dataclass
class Job:
    id: str
    author: str
    state: str = "queued"  # queued | validating | training | evaluating | done | failed
    progress: int = 0
    step: str = "대기 중"
    errors: List[Dict[str, Any]] = field(default_factory=list)  # {file, line, message}
    warnings: List[Dict[str, Any]] = field(default_factory=list)
    model: Optional[str] = None  # the candidate, relative to the models dir
    reused: bool = False  # an earlier candidate of the same data, not trained again
    serving: Optional[str] = None
    evaluation: Optional[Dict[str, Any]] = None
    started_at: float = field(default_factory=time.time)
    train_seconds: Optional[float] = None
    evaluate_seconds: Optional[float] = None
    finished_at: Optional[float] = None

    def to_dict(self) -> Dict[str, Any]:
        out = asdict(self)
        out["elapsed_seconds"] = round((self.finished_at or time.time()) - self.started_at, 1)
        return out


# --- step 1: validation ---------------------------------------------------------------------------
def yaml_errors(project: Path) -> List[Dict[str, Any]]:
    """YAML syntax errors of the training files, with file and line."""
    errors = []
    for path in [project / "domain.yml", project / "config.yml", *sorted((project / "data").rglob("*.yml"))]:
        try:
            yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            errors.append({"file": str(path.relative_to(project)), "line": mark.line + 1 if mark else None,
                           "message": f"YAML 문법 오류: {exc.problem or exc.context}"})
        except (OSError, yaml.YAMLError) as exc:
            errors.append({"file": str(path.relative_to(project)), "line": None, "message": f"읽을 수 없어요: {exc}"})
    return errors


_FILE = re.compile(r"'?((?:data|tests)/[\w./-]+\.ya?ml|domain\.yml|config\.yml)'?")
_LINE = re.compile(r"\bline (\d+)")
_WARNING = re.compile(r"^.*?(?:UserWarning|FutureWarning): (.*)$")
_ERROR = re.compile(r"^(?:\S+ \S+ ERROR\s+\S+\s+-\s+|(?:\w+\.)*\w*(?:Exception|Error): )(.*)$")
_NOISE = ("More info at", "You can use https://yamlchecker.com", "declared_namespace", "pkg_resources",
          "SQLAlchemy 2.0", "duplicated intents have been found across multiple domain files: faq")


def plain_words(output: str) -> Dict[str, List[Dict[str, Any]]]:
    """`rasa data validate` output -> {"errors": [...], "warnings": [...]}, each {file, line, message}."""
    found: Dict[str, List[Dict[str, Any]]] = {"errors": [], "warnings": []}
    for raw in ANSI.sub("", output).splitlines():
        line = raw.strip()
        if not line or any(noise in line for noise in _NOISE):
            continue
        for kind, pattern in (("errors", _ERROR), ("warnings", _WARNING)):
            m = pattern.match(line)
            if m:
                message = m.group(1).strip()
                file = _FILE.search(message)
                number = _LINE.search(message)
                item = {"file": file.group(1) if file else None, "line": int(number.group(1)) if number else None,
                        "message": message}
                if item not in found[kind]:
                    found[kind].append(item)
                break
    return found


def env() -> Dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return dict(os.environ, PYTHONPATH=path, RASA_TELEMETRY_ENABLED="false", PYTHONUNBUFFERED="1")


# --- step 2: training ---------------------------------------------------------------------------
def fingerprint(project: Path) -> str:
    """What a model is trained from: the data files, the domain and the config, hashed."""
    digest = hashlib.sha256()
    for path in [project / "domain.yml", project / "config.yml", *sorted((project / "data").rglob("*.yml"))]:
        digest.update(str(path.relative_to(project)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def trained_from(candidates: Path, print_: str) -> Optional[Path]:
    """A candidate trained from the same fingerprint, the newest first."""
    for marker in sorted(candidates.glob("*.tar.gz.fingerprint"), key=lambda p: p.stat().st_mtime, reverse=True):
        model = marker.with_name(marker.name[:-len(".fingerprint")])
        if model.exists() and marker.read_text().strip() == print_:
            return model
    return None


# --- training progress ---------------------------------------------------------------------
_EPOCHS = re.compile(r"Epochs:\s+(\d+)%")
_FINISHED = re.compile(r"Finished training component '([^']+)'")
_TRAINING = re.compile(r"Starting to train component '([^']+)'")


def components(project: Path) -> int:
    config = yaml.safe_load((project / "config.yml").read_text(encoding="utf-8")) or {}
    return max(1, len(config.get("pipeline") or []) + len(config.get("policies") or []))


class TrainProgress:
    """Reads `rasa train`'s output (lines, and tqdm's \\r updates) into a fraction 0..1."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.epochs, self.current = total, 0, 0.0, ""
        self._rest = ""  # a line cut in two by the reads

    def feed(self, text: str) -> None:
        pieces = re.split(r"[\r\n]", self._rest + text)
        self._rest = pieces.pop()
        for piece in (ANSI.sub("", p) for p in pieces):
            if m := _FINISHED.search(piece):
                self.done = min(self.total, self.done + 1)
                self.epochs = 0.0
            elif m := _TRAINING.search(piece):
                self.current = m.group(1)
            elif m := _EPOCHS.search(piece):
                self.epochs = int(m.group(1)) / 100

    @property
    def fraction(self) -> float:
        return min(1.0, (self.done + self.epochs) / self.total)


# --- the job ----------------------------------------------------------------------------------------
class Trainer:
    def __init__(self, project: Path, models_dir: Path, serving: Callable[[], Optional[Path]]) -> None:
        self.project, self.models_dir, self.serving = Path(project), Path(models_dir), serving
        self.jobs: Dict[str, Job] = {}
        self._lock = threading.Lock()

    @property
    def candidates(self) -> Path:
        return self.models_dir / "candidates"

    def running(self) -> Optional[Job]:
        return next((j for j in self.jobs.values() if j.state not in ("done", "failed")), None)

    def start(self, author: str) -> Job:
        with self._lock:
            if self.running():
                raise Busy("이미 학습이 진행 중이에요. 끝난 뒤에 다시 시작해 주세요.")
            job = Job(id=uuid.uuid4().hex[:12], author=author)
            self.jobs[job.id] = job
        threading.Thread(target=self.run, args=(job,), name=f"studio-train-{job.id}", daemon=True).start()
        return job

    def _set(self, job: Job, state: str, fraction: float, step: str) -> None:
        low, high = SPAN[state]
        job.state, job.step = state, step
        job.progress = max(job.progress, int(low + (high - low) * fraction))

    def run(self, job: Job) -> None:
        try:
            self._run(job)
        except Exception as exc:  # shown on the page; the details go to the log
            log.exception("training job %s failed", job.id)
            job.state, job.step = "failed", f"오류로 중단됐어요: {exc}"
            job.errors.append({"file": None, "line": None, "message": str(exc)})
        finally:
            job.finished_at = time.time()

    def _run(self, job: Job) -> None:
        self._set(job, "validating", 0, "학습 데이터를 검사하는 중")
        job.errors = yaml_errors(self.project)
        if not job.errors:
            run = subprocess.run([RASA, "data", "validate", "--data", "data", "--domain", "domain.yml",
                                  "--config", "config.yml"], cwd=self.project, env=env(), capture_output=True,
                                 text=True, timeout=600)
            found = plain_words(run.stdout + "\n" + run.stderr)
            job.errors, job.warnings = found["errors"], found["warnings"]
            if run.returncode != 0 and not job.errors:
                job.errors = [{"file": None, "line": None, "message": "rasa data validate가 실패했어요: "
                               + ANSI.sub("", run.stderr.strip().splitlines()[-1] if run.stderr.strip() else "")}]
        if job.errors:
            job.state, job.step = "failed", "학습 데이터에 오류가 있어요. 아래 파일과 줄을 고쳐 주세요."
            return
        self._set(job, "training", 0, "학습 중")
        self.candidates.mkdir(parents=True, exist_ok=True)
        print_ = fingerprint(self.project)
        model = trained_from(self.candidates, print_)
        if model is not None:
            job.train_seconds, job.reused = 0.0, True
        else:
            model = self._train(job, print_)
        job.model = f"candidates/{model.name}"
        began = time.time()
        serving = self.serving()
        job.serving = serving.name if serving else None
        self._set(job, "evaluating", 0, "새 모델을 평가하는 중")
        new = self.evaluate(model)
        self._set(job, "evaluating", 0.5, "지금 모델을 평가하는 중")
        old = self.evaluate(serving) if serving and serving.exists() else None
        job.evaluation = evaluation.compare(old, new)
        job.evaluate_seconds = round(time.time() - began, 1)
        job.state, job.progress, job.step = "done", 100, "완료"

    def _train(self, job: Job, print_: str) -> Path:
        name = time.strftime("candidate-%Y%m%d-%H%M%S") + f"-{job.id[:4]}"
        progress = TrainProgress(components(self.project))
        began = time.time()
        proc = subprocess.Popen([RASA, "train", "--data", "data", "--domain", "domain.yml", "--config", "config.yml",
                                 "--out", str(self.candidates), "--fixed-model-name", name],
                                cwd=self.project, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        tail = ""
        decoder = codecs.getincrementaldecoder("utf-8")("replace")  # a character may span two reads
        log_file = self.candidates / f"{name}.train.log"  # the whole output, for when it fails
        with log_file.open("w", encoding="utf-8") as out:
            while True:
                chunk = proc.stdout.read1(4096) if hasattr(proc.stdout, "read1") else proc.stdout.read(4096)
                if not chunk:
                    break
                text = decoder.decode(chunk)
                out.write(text)
                tail = (tail + text)[-4000:]
                progress.feed(text)
                self._set(job, "training", progress.fraction,
                          f"학습 중: {progress.current}" if progress.current else "학습 중")
        code = proc.wait()
        if code != 0:
            last = ANSI.sub("", tail.strip().splitlines()[-1] if tail.strip() else "")
            why = f"신호 {-code}로 중단됨 (메모리 부족일 수 있어요)" if code < 0 else f"종료 코드 {code}"
            raise RuntimeError(f"rasa train이 실패했어요 ({why}, 전체 출력: {log_file.name}): {last[-300:]}")
        job.train_seconds = round(time.time() - began, 1)
        model = self.candidates / f"{name}.tar.gz"
        model.with_name(model.name + ".fingerprint").write_text(print_)
        return model

    def evaluate(self, model: Path) -> Dict[str, Any]:
        """`rasa test` of one model, cached beside it (<model>.eval.json) while the file is unchanged."""
        cache = model.with_name(model.name + ".eval.json")
        stamp = f"{model.stat().st_size}:{model.stat().st_mtime_ns}"
        if cache.exists():
            cached = json.loads(cache.read_text())
            if cached.get("stamp") == stamp:
                return cached["report"]
        out = self.candidates / f"eval-{uuid.uuid4().hex[:8]}"
        run = subprocess.run([*RASA_TEST, "--model", str(model), "--nlu", str(NLU_TEST), "--stories", str(STORY_TEST),
                              "--out", str(out)], cwd=self.project, env=env(), capture_output=True, text=True,
                             timeout=1800)
        if run.returncode != 0 or not (out / "intent_report.json").exists():
            raise RuntimeError("평가(rasa test)가 실패했어요: " + ANSI.sub("", (run.stderr or run.stdout)[-300:]))
        report = evaluation.read(out)
        try:
            cache.write_text(json.dumps({"stamp": stamp, "report": report}, ensure_ascii=False))
        except OSError:  # a read-only models dir: evaluate again next time
            pass
        return report

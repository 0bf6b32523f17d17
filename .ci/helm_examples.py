"""Chart values found in the docs: every `helm install|upgrade|template` command
and every YAML block that is made of chart values.

Used by .ci/lint-deploy so that no example in README.md or docs/deploy.md can
drift away from the chart's schema. Rules:
  - shell blocks (```sh / ```bash / ```console): each `helm install`,
    `helm upgrade [--install]` or `helm template` of this chart; its `-f FILE`
    (a repository path, `-` with a heredoc on the same command, or a YAML block
    of the same document named FILE), then `--set`, `--set-string`,
    `--set-json`, in Helm's order;
  - YAML blocks whose top-level keys are all chart values keys (a snippet such
    as `ingress: {...}`) are rendered on their own, over the chart defaults;
  - a YAML block is named FILE when its first line is `# FILE` or when the
    line before the fence ends with "`FILE`:".
"""
import os
import re
import shlex

FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```", re.M | re.S)
SHELL_LANGS = {"sh", "bash", "shell", "console", "zsh"}
YAML_LANGS = {"yaml", "yml"}
HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")


class Example:
    def __init__(self, where, layers):
        self.where = where      # "README.md:333"
        self.layers = layers    # [("file"|"set"|"set-string"|"set-json", payload)]

    def __repr__(self):
        return f"Example({self.where})"


def _blocks(text):
    """(language, body, line number of the body's first line, line before the fence)."""
    for m in FENCE.finditer(text):
        start_line = text.count("\n", 0, m.start()) + 1
        before = text[:m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        yield m.group(1).lower(), m.group(2), start_line + 1, before


def _yaml_name(body, before):
    first = body.split("\n", 1)[0].strip()
    m = re.fullmatch(r"#\s*(\S+\.ya?ml)\s*", first)
    if m:
        return m.group(1)
    m = re.search(r"`([^`]+\.ya?ml)`:\s*$", before)
    return m.group(1) if m else None


def _commands(body):
    """(line offset, joined command line, heredoc bodies {tag: text}) of a shell block."""
    lines = body.split("\n")
    i = 0
    while i < len(lines):
        start = i
        cmd = lines[i]
        while cmd.endswith("\\") and i + 1 < len(lines):
            i += 1
            cmd = cmd[:-1] + " " + lines[i].strip()
        heredocs = {}
        for m in HEREDOC.finditer(cmd):
            tag, doc = m.group(2), []
            i += 1
            while i < len(lines) and lines[i].strip() != tag:
                doc.append(lines[i])
                i += 1
            heredocs[tag] = "\n".join(doc) + "\n"
        yield start, cmd, heredocs
        i += 1


def _helm_layers(cmd, heredocs, named, root):
    """Values layers of one helm command, or None when it is not about this chart."""
    cmd = re.sub(r"^\s*\$\s+", "", cmd)          # console prompt
    cmd = cmd.split(" #", 1)[0]                  # trailing comment
    cmd = HEREDOC.sub(" ", cmd)
    if not re.match(r"\s*helm\s+(install|upgrade|template)\b", cmd):
        return None
    try:
        tokens = shlex.split(cmd)
    except ValueError as e:
        raise ValueError(f"cannot parse shell command: {e}") from e
    if len(tokens) < 2 or tokens[0] != "helm" or tokens[1] not in ("install", "upgrade", "template"):
        return None
    files, sets, positional = [], [], []
    it = iter(tokens[2:])
    for tok in it:
        key, eq, val = tok.partition("=")
        if key in ("-f", "--values"):
            files.append(val if eq else next(it))
        elif key.startswith("-f") and len(key) > 2 and not eq:
            files.append(key[2:])
        elif key in ("--set", "--set-string", "--set-json"):
            sets.append((key[2:], val if eq else next(it)))
        elif key in ("-n", "--namespace", "--version", "--timeout", "--kube-context", "--create-namespace-label"):
            if not eq:
                next(it)
        elif tok.startswith("-"):
            continue                              # boolean flags (--install, --wait, ...)
        else:
            positional.append(tok)
    chart = positional[1] if len(positional) > 1 else ""
    if "urssaf-gateway" not in chart:
        return None
    layers = []
    for f in files:
        if f == "-":
            if len(heredocs) != 1:
                raise ValueError("`-f -` needs exactly one heredoc on the same command")
            layers.append(("file", next(iter(heredocs.values()))))
        elif f in named:
            layers.append(("file", named[f]))
        elif os.path.isfile(os.path.join(root, f)):
            layers.append(("file", open(os.path.join(root, f)).read()))
        else:
            raise ValueError(f"values file {f!r}: not in the repository and no YAML block of "
                             f"this document is named {f!r} (first line `# {f}`)")
    layers.extend(sets)
    return layers


def find(root, docs, chart_keys):
    """(examples, problems) of `docs`, paths relative to root; a problem is an
    example that cannot be read (unknown values file, bad YAML, bad quoting)."""
    import yaml
    examples, problems = [], []
    for doc in docs:
        text = open(os.path.join(root, doc)).read()
        blocks = list(_blocks(text))
        named = {}
        for lang, body, _, before in blocks:
            if lang in YAML_LANGS:
                name = _yaml_name(body, before)
                if name:
                    named[name] = body
        used = set()
        for lang, body, line, before in blocks:
            if lang in SHELL_LANGS:
                for offset, cmd, heredocs in _commands(body):
                    where = f"{doc}:{line + offset}"
                    try:
                        layers = _helm_layers(cmd, heredocs, named, root)
                    except (ValueError, StopIteration) as e:
                        problems.append(f"{where}: {e or 'flag without a value'}")
                        continue
                    if layers is not None:
                        examples.append(Example(where + " helm command", layers))
                        used.update(n for n in named if any(p == named[n] for k, p in layers if k == "file"))
        for lang, body, line, before in blocks:
            if lang in YAML_LANGS:
                name = _yaml_name(body, before)
                if name in used:
                    continue
                try:
                    data = yaml.safe_load(body)
                except yaml.YAMLError as e:
                    problems.append(f"{doc}:{line}: YAML block does not parse: {e}")
                    continue
                if isinstance(data, dict) and data and set(data) <= chart_keys:
                    examples.append(Example(f"{doc}:{line} values block", [("file", body)]))
    return examples, problems

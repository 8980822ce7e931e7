"""docs/deploy.md's `sam deploy --parameter-overrides` reaches the stack intact.

SAM CLI splits `--parameter-overrides` at spaces, so a PEM value arrived as `'-----BEGIN'`.
This takes the `sam deploy` command from docs/deploy.md's first ```sh block that has one, lets
bash expand it as a reader's shell would (with a real key's one-line public form for
`$PUBLISHED`, and with two keys, as during a rotation), runs the words it gives
`--parameter-overrides` through SAM CLI's own parser (the aws-sam-cli that `sam` runs from, so:
run it with that Python), and checks every value against the template's AllowedPattern, and
that every parameter the template requires is given.

Usage: <sam's python> tests/deploy/check_parameter_overrides.py path/to/gatehouse
"""

import os
import re
import subprocess
import sys
from pathlib import Path

from samcli.cli.types import CfnParameterOverridesType
from samcli.yamlhelper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_DOC = ROOT / "docs" / "deploy.md"


def documented_sam_deploy():
    """The `sam deploy` command of docs/deploy.md, its continuation lines joined."""
    for block in re.findall(r"^```sh\n(.*?)^```", DEPLOY_DOC.read_text(), re.S | re.M):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            if line.strip().startswith("sam deploy") and "--parameter-overrides" in line:
                return line.split("#")[0].strip()
    raise AssertionError(f"no `sam deploy --parameter-overrides` in {DEPLOY_DOC}")


def override_words(command, env):
    """The words bash passes after `--parameter-overrides`, as SAM CLI's option collects them."""
    words = subprocess.run(
        ["bash", "-c", f"set -- {command[len('sam deploy'):]}; printf '%s\\0' \"$@\""],
        env={**os.environ, **env}, capture_output=True, text=True, check=True,
    ).stdout.split("\0")[:-1]
    after = words[words.index("--parameter-overrides") + 1 :]
    end = next((i for i, word in enumerate(after) if word.startswith("--")), len(after))
    return tuple(after[:end])


gatehouse = sys.argv[1]
private = subprocess.run([gatehouse, "keys", "generate"], capture_output=True, text=True, check=True).stdout
published = subprocess.run(
    [gatehouse, "keys", "public", "--one-line"], input=private, capture_output=True, text=True, check=True
).stdout.strip()
next_key = subprocess.run([gatehouse, "keys", "generate", "--algorithm", "RS512"], capture_output=True, text=True, check=True).stdout
published_two = subprocess.run(
    [gatehouse, "keys", "public", "--one-line"], input=private + next_key, capture_output=True, text=True, check=True,
).stdout.strip()
arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gatehouse/signing-key-AbCdEf"

template = yaml_parse((ROOT / "template.yaml").read_text())
parameters = template["Parameters"]
command = documented_sam_deploy()

for keys in (published, published_two):
    shell = {"SECRET_ARN": arn, "PUBLISHED": keys, "STACK": "gatehouse", "REGION": "eu-west-1",
             "DOMAIN": "auth.example.com", "ZONE_ID": "Z0123456789ABCDEFGHIJ"}
    words = override_words(command, shell)
    parsed = CfnParameterOverridesType().convert(words, None, None)
    # What the reader's shell hands SAM CLI, word by word: each value must reach the stack whole.
    expected = dict(word.split("=", 1) for word in words)
    assert expected["SigningKeysSecretArn"] == arn and expected["PublishedKeys"] == keys, expected
    assert expected["DomainName"] == shell["DOMAIN"] and expected["HostedZoneId"] == shell["ZONE_ID"], expected
    assert parsed == expected, f"SAM CLI parsed {parsed} from docs/deploy.md's {command!r}"
    for name, value in parsed.items():
        pattern = parameters[name].get("AllowedPattern")
        assert pattern is None or re.fullmatch(pattern, value), f"{name}={value} fails {pattern}"
required = {name for name, p in parameters.items() if "Default" not in p}
assert required <= set(parsed), f"docs/deploy.md's sam deploy leaves out {sorted(required - set(parsed))}"

# The PEM form, for contrast: an old README's `SigningKeys="$(cat signing-key.pem)"` reached
# SAM CLI without its quotes (the shell takes them) and was cut at its first space.
pem_line = "SigningKeys=" + private.strip()
cut = CfnParameterOverridesType().convert((pem_line,), None, None)
assert cut.get("SigningKeys") != private.strip(), "SAM CLI kept a PEM value whole: the one-line form may be unneeded"
print(f"sam deploy --parameter-overrides keeps every value whole ({len(published_two)} characters of published keys)")

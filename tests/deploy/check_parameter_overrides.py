"""The README's `sam deploy --parameter-overrides` line reaches the stack intact.

SAM CLI splits `--parameter-overrides` at spaces, so a PEM value arrived as `'-----BEGIN'`.
This runs the README's keys through SAM CLI's own parser (the aws-sam-cli that `sam` runs from,
so: run it with that Python) and checks every value against the template's AllowedPattern.

Usage: <sam's python> tests/deploy/check_parameter_overrides.py path/to/gatehouse
"""

import re
import subprocess
import sys

from samcli.cli.types import CfnParameterOverridesType
from samcli.yamlhelper import yaml_parse

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

with open("template.yaml") as f:
    template = yaml_parse(f.read())
parameters = template["Parameters"]

for keys in (published, published_two):
    line = (
        f"Issuer=https://auth.example.com OrganizationId=org_acme OrganizationSlug=acme "
        f"SigningKeysSecretArn={arn} PublishedKeys={keys}"
    )
    parsed = CfnParameterOverridesType().convert((line,), None, None)
    expected = {
        "Issuer": "https://auth.example.com",
        "OrganizationId": "org_acme",
        "OrganizationSlug": "acme",
        "SigningKeysSecretArn": arn,
        "PublishedKeys": keys,
    }
    assert parsed == expected, f"SAM CLI parsed {parsed}"
    for name, value in parsed.items():
        pattern = parameters[name].get("AllowedPattern")
        assert pattern is None or re.fullmatch(pattern, value), f"{name}={value} fails {pattern}"

# The PEM form, for contrast: the old README's `SigningKeys="$(cat signing-key.pem)"` reached
# SAM CLI without its quotes (the shell takes them) and was cut at its first space.
pem_line = "SigningKeys=" + private.strip()
cut = CfnParameterOverridesType().convert((pem_line,), None, None)
assert cut.get("SigningKeys") != private.strip(), "SAM CLI kept a PEM value whole: the one-line form may be unneeded"
print(f"sam deploy --parameter-overrides keeps every value whole ({len(published_two)} characters of published keys)")

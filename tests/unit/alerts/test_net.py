"""The SSRF guard: which addresses a webhook or Slack URL may reach."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from alerts.channels import signature
from alerts.net import AllowList, UnsafeUrl, check_url

NONE = AllowList.parse("")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://10.1.2.3/hook",
        "http://172.16.0.5/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://100.64.0.1/hook",  # shared address space
        "http://[::1]/hook",
        "http://[fd00::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
        "http://0.0.0.0/hook",
        "ftp://hooks.example/x",
        "http://user:pw@93.184.216.34/x",
    ],
)
def test_aln001_private_loopback_link_local_and_odd_urls_are_refused(url):
    with pytest.raises(UnsafeUrl):
        check_url(url, NONE)


def test_aln002_public_addresses_pass_and_the_allow_list_opens_named_ones():
    scheme, port, host, address = check_url("https://93.184.216.34:8443/x", NONE)
    assert (scheme, port, str(address)) == ("https", 8443, "93.184.216.34")
    allow = AllowList.parse("127.0.0.1, 10.0.0.0/8, localhost")
    assert str(check_url("http://127.0.0.1:9/x", allow)[3]) == "127.0.0.1"
    assert str(check_url("http://10.9.8.7/x", allow)[3]) == "10.9.8.7"
    check_url("http://localhost/x", allow)
    with pytest.raises(UnsafeUrl):
        check_url("http://192.168.0.1/x", allow)


def test_aln003_signature_is_hmac_sha256_over_timestamp_dot_body():
    expected = hmac.new(b"secret", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert signature("secret", "1700000000", b'{"a":1}') == f"sha256={expected}"
    assert signature("secret", "1700000001", b'{"a":1}') != f"sha256={expected}"

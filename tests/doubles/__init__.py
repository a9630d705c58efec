"""Test doubles shared by the test modules: a fake CKAN portal, a test PKI and TSA, HTML parsing."""

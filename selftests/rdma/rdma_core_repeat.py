#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run one test of rdma-core's suite (tests/) several times in one process.

usage: rdma_core_repeat.py TESTS_DIR N TEST_ID [run_tests.py options]
  e.g. rdma_core_repeat.py /phyr/build/rdma-core/tests 12 \\
           test_mr.MRTest.test_mr_rereg_pd --dev rxe0 -v

For windows a single run hits only sometimes (a race between a device's
tasks and the verbs the test calls next). unittest's verbose output, one
line per run, as run_tests.py prints it; the exit status is 1 if any run
failed.
"""
import os
import sys
import unittest
from importlib.machinery import SourceFileLoader

if len(sys.argv) < 4:
    sys.exit(__doc__)
tests_dir, runs, test_id = sys.argv[1], int(sys.argv[2]), sys.argv[3]
del sys.argv[1:4]
sys.path.insert(0, tests_dir)
from args_parser import parser  # noqa: E402  (rdma-core's, from tests_dir)

tests = SourceFileLoader('tests', os.path.join(tests_dir, '__init__.py')).load_module()
parser.parse_args()
suite = unittest.TestSuite()
for _ in range(runs):
    suite.addTests(unittest.defaultTestLoader.loadTestsFromName(test_id, tests))
result = unittest.TextTestRunner(verbosity=2).run(suite)
sys.exit(0 if result.wasSuccessful() else 1)

"""python -m benchmarks: time the guest micro-benchmarks natively, under emukernel and on bare Unicorn."""

import sys

from .runner import main

sys.exit(main())

"""mcugen: trained neural network -> verified C firmware for Arm Cortex-M.

Python API: :mod:`mcugen.api` (``from mcugen import api``; ``api.load``, ``api.quantize``,
``api.plan``, ``api.generate``, ``api.build``, ``api.verify``, ``api.profile``,
``api.simulate``). It is not re-exported here: ``mcugen.plan`` and ``mcugen.quantize`` are the
pipeline's packages.
"""

__version__ = "0.1.0"

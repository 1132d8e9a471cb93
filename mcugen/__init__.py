"""mcugen: trained neural network -> verified C firmware for Arm Cortex-M."""

__version__ = "0.1.0"

"""Lesson 07, scaling: real traffic, a simulator on a virtual clock, the bill, and metrics."""

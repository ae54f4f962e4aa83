"""Jiandu (监督): tip line, evidence vault, verification workbench and public tracker."""

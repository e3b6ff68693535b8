"""toolkit.engine.hazard"""

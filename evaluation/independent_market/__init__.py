"""An independent market generator and scorer for the detection layer.

Written blind: only from the product brief and the feed / alert contracts, without reading
the detectors or the team's own simulator. See README.md in this folder.
"""

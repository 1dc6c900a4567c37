"""What the viewer's script needs to know about a study: its series and images, in order."""

from typing import Any

from imaging.selectors import ViewerStudy

PRESETS = {  # window center, width (Hounsfield units for CT)
    "lung": (-600, 1500),
    "bone": (400, 1800),
    "brain": (40, 80),
    "abdomen": (40, 400),
}


def viewer_config(viewed: ViewerStudy, *, dicomweb_root: str) -> dict[str, Any]:
    study = viewed.study
    series = [
        {
            "uid": s.series_instance_uid,
            "label": " ".join(
                str(part) for part in (s.series_number, s.modality, s.series_description) if part
            ),
            "images": [
                {"sop": i.sop_instance_uid, "frames": i.number_of_frames}
                for i in s.viewer_instances
            ],
        }
        for s in viewed.series
        if s.viewer_instances
    ]
    return {
        "studiesUrl": dicomweb_root,
        "study": study.study_instance_uid,
        "series": series,
        "presets": PRESETS,
    }

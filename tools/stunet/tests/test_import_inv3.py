import io
import plistlib
import tarfile

import nibabel as nib
import numpy as np
import pytest

from tools.stunet import import_inv3


def write_inv3(path, voxels, spacing, orientation=1):
    """An InVesalius project as the application writes it: a gzipped tar of main.plist + matrix."""
    main = {"matrix": {"dtype": "int16", "filename": "matrix.dat", "shape": list(voxels.shape)},
            "spacing": list(spacing), "orientation": orientation, "modality": "CT"}
    with tarfile.open(path, "w:gz") as tar:
        for name, data in (("proj/main.plist", plistlib.dumps(main)), ("proj/matrix.dat", voxels.tobytes())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_project_becomes_a_ras_nifti_with_block_means(tmp_path):
    rng = np.random.default_rng(3)
    voxels = rng.integers(-1024, 2000, size=(5, 8, 6)).astype(np.int16)  # (z, y, x)
    write_inv3(tmp_path / "p.inv3", voxels, (0.5, 0.6, 1.5))
    assert import_inv3.main([str(tmp_path / "p.inv3"), str(tmp_path / "p.nii.gz"), "--inplane-factor", "2"]) == 0
    img = nib.load(str(tmp_path / "p.nii.gz"))
    assert img.shape == (3, 4, 5) and img.get_data_dtype() == np.int16
    assert np.allclose(img.affine, np.diag([-1.0, 1.2, 1.5, 1.0]))
    x, y, z = 2, 3, 4
    block = voxels[z, 2 * y:2 * y + 2, 2 * x:2 * x + 2].astype(np.float64).mean()
    assert np.asarray(img.dataobj)[x, y, z] == np.round(block)
    assert nib.aff2axcodes(img.affine) == ("L", "A", "S")


def test_non_axial_or_foreign_archives_are_refused(tmp_path):
    voxels = np.zeros((2, 4, 4), dtype=np.int16)
    write_inv3(tmp_path / "sag.inv3", voxels, (1, 1, 1), orientation=2)
    with pytest.raises(SystemExit, match="not axial"):
        import_inv3.main([str(tmp_path / "sag.inv3"), str(tmp_path / "out.nii.gz")])
    with tarfile.open(tmp_path / "other.inv3", "w:gz") as tar:
        info = tarfile.TarInfo("x.txt")
        tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(ValueError, match="not an InVesalius project"):
        import_inv3.read_inv3(tmp_path / "other.inv3")

"""The course's tooling, for instructors and CI: authoring, grading and its sandbox, the site, the
main job and the `mnist-lab` command. The library in `mnist_lab` never imports this subpackage; it
needs the `course` extra (`pip install -e ".[course]"`)."""

// OmegaT's console-translate mode loads, compiles (writes target/ and the three
// exports *-omegat.tmx, *-level1.tmx, *-level2.tmx) and closes without saving the
// project. Run with --script, this writes omegat/project_save.tmx after compiling,
// with the same writer the GUI's Project > Save uses, so the test can read it too.
if (eventType.toString() == "COMPILE") {
    def props = project.projectProperties
    project.@projectTMX.save(props, props.projectInternal + "project_save.tmx", true)
}

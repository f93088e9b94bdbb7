"""Service functions and the job kinds they register."""

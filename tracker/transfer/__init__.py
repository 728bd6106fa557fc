"""Moving data in and out whole: export, import and the demo data set."""

from skillsync.cli import main

raise SystemExit(main())

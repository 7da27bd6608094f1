from pyctl.cli import main

main()

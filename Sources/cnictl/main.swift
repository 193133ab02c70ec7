// cnictl: the operator's CLI. Argument parsing and rendering only; the logic lives in IPAM.
Cnictl.main()

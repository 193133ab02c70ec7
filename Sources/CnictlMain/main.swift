import CnictlCommands

// cnictl's commands live in CnictlCommands, so that the image's trellisd can also answer as
// cnictl (one executable for both: see Trellisd.main).
await Cnictl.runAsMain()

"""The Spyder plugin: everything that imports Qt or Spyder lives here."""

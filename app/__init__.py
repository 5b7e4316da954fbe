"""Everything a person sees: Qt launcher, pygame player, input mapping, recording, settings."""

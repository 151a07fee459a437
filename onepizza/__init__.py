"""onepizza: an open-source video-meeting platform for developers, agents and teams."""

__version__ = "0.1.0"

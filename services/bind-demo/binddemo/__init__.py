"""The bind() demo of notes 1.1.3/1.2.3: one host, three listeners, three reaches."""

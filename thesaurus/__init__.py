"""Text analysis and the SKOS thesaurus: the vocabulary layer shared by every other package."""

"""Stop words per language (Snowball's lists, trimmed to the forms that carry no meaning in mail)."""

FRENCH = frozenset(
    """
    au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me même mes moi mon ne
    nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous c d
    j l à m n s t y été étée étées étés étant étante étants étantes suis es est sommes êtes sont serai seras sera
    serons serez seront serais serait serions seriez seraient étais était étions étiez étaient fus fut fûmes fûtes
    furent sois soit soyons soyez soient fusse fusses fût fussions fussiez fussent ayant ayante ayantes ayants eu
    eue eues eus ai as avons avez ont aurai auras aura aurons aurez auront aurais aurait aurions auriez auraient
    avais avait avions aviez avaient eut eûmes eûtes eurent aie aies ait ayons ayez aient eusse eusses eût
    eussions eussiez eussent ceci cela celà cet cette ici ils les leurs quel quels quelle quelles sans soi
    """.split()
)

DUTCH = frozenset(
    """
    de en van ik te dat die in een hij het niet zijn is was op aan met als voor had er maar om hem dan zou of wat
    mijn men dit zo door over ze zich bij ook tot je mij uit der daar haar naar heb hoe heeft hebben deze u want
    nog zal me zij nu ge geen omdat iets worden toch al waren veel meer doen toen moet ben zonder kan hun dus
    alles onder ja eens hier wie werd altijd doch wordt wezen kunnen ons zelf tegen na reeds wil kon niets uw
    iemand geweest andere
    """.split()
)

GERMAN = frozenset(
    """
    aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes anderm andern
    anderr anders auch auf aus bei bin bis bist da damit dann der den des dem die das dass daß du er sie es wir
    ihr ein eine einem einen einer eines für hat haben hatte ich im in ist ja kein keine mit nicht noch nun nur
    ob oder ohne sich sind so über um und uns unter von vor war waren was weil wenn wie will wird wo zu zum zur
    """.split()
)

ENGLISH = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being below between
    both but by can did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now
    of off on once only or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until up very was we
    were what when where which while who whom why will with you your yours yourself yourselves
    """.split()
)

BY_LANGUAGE = {"fr": FRENCH, "nl": DUTCH, "de": GERMAN, "en": ENGLISH}

from composeswap.cli import main

main()
